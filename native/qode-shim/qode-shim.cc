// qode-shim: lets @nodegui/nodegui's addon load under plain Node on Linux.
//
// NodeGui's addon (nodegui_core.node) is built to run inside qode, a patched Node.js, and leaves
// three of qode's symbols undefined (see @nodegui/nodegui src/cpp/include/nodegui/core/Integration/
// qode-api.h). Plain node does not define them, so loading the addon fails with
// "undefined symbol: _ZN4qode9qode_argvE". This module defines them. It must be loaded BEFORE
// @nodegui/nodegui, with RTLD_GLOBAL so the dynamic linker can resolve the addon against it:
//
//   process.dlopen(module, shimPath, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL)
//
// It is a real Node-API module (Node keeps it loaded); its exports:
//   runLoopInjected(): boolean  whether NodeGui handed over its Qt run loop (it does when the addon
//                               initialises). The loop is never run: the app pumps Qt events itself
//                               (QApplication.instance().processEvents() on a timer), so it must
//                               never call app.exec() or any other nested Qt event loop.
//
// Built by scripts/build-native.sh into build/native/qode-shim.node. Linux only: on macOS NodeGui
// runs under qode, its supported runtime.

#include <node_api.h>

namespace qode {

// QApplication keeps a reference to argc and may edit argv, so both live for the whole process.
static char arg0[] = "node";
static char* argv_storage[] = {arg0, nullptr};

int qode_argc = 1;
char** qode_argv = argv_storage;

typedef int (*QodeCustomRunLoopFunc)();
static QodeCustomRunLoopFunc custom_run_loop = nullptr;

void InjectCustomRunLoop(QodeCustomRunLoopFunc run_loop) { custom_run_loop = run_loop; }

}  // namespace qode

static napi_value RunLoopInjected(napi_env env, napi_callback_info /*info*/) {
  napi_value result = nullptr;
  napi_get_boolean(env, qode::custom_run_loop != nullptr, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn = nullptr;
  if (napi_create_function(env, "runLoopInjected", NAPI_AUTO_LENGTH, RunLoopInjected, nullptr,
                           &fn) != napi_ok ||
      napi_set_named_property(env, exports, "runLoopInjected", fn) != napi_ok) {
    napi_throw_error(env, nullptr, "qode-shim: could not initialise its exports");
    return nullptr;
  }
  return exports;
}
