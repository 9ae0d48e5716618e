// The Shares port: mounting network shares (SMB) for a share mirror. Below both the destinations
// that use it (src/destinations/share/) and the adapter that implements it (src/diskutil/smb-mount.ts).
export interface Shares {
  mount(url: string, user: string, password: string | null, mountPoint: string): Promise<void>;
  unmount(mountPoint: string): Promise<void>;
}
