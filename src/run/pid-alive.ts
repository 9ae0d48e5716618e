// Whether a process id is in use: its own module so that the menu-bar app can ask it (one tray per
// user) before it loads anything heavy — the lock module around it brings the process runner.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
