/**
 * Promise wrappers over the fd-level `node:fs` calls the writer and reader use (`write` with a
 * position, `fdatasync`, `ftruncate`, `read`, `open`, `close`). One promise per call, i.e. per
 * batch or per read chunk, never per record.
 *
 * @module
 */
import * as fs from "node:fs";

/** Opens `file` with `flags`, resolving to an fd. */
export function openFd(file: string, flags: string): Promise<number> {
  return new Promise((res, rej) => fs.open(file, flags, 0o644, (e, fd) => e ? rej(e) : res(fd)));
}

/** Closes an fd; errors are ignored (nothing useful to do with them). */
export function closeFd(fd: number): Promise<void> {
  return new Promise((res) => fs.close(fd, () => res()));
}

/** `fdatasync(fd)`. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((res, rej) => fs.fdatasync(fd, (e) => e ? rej(e) : res()));
}

/** `ftruncate(fd, len)`. */
export function ftruncate(fd: number, len: number): Promise<void> {
  return new Promise((res, rej) => fs.ftruncate(fd, len, (e) => e ? rej(e) : res()));
}

function writeOnce(fd: number, buf: Uint8Array, off: number, len: number, pos: number) {
  return new Promise<number>((res, rej) =>
    fs.write(fd, buf, off, len, pos, (e, n) => e ? rej(e) : res(n))
  );
}

/** Writes all of `buf[0, len)` at file position `pos`, looping over short writes. */
export async function writeAll(fd: number, buf: Uint8Array, len: number, pos: number) {
  let done = 0;
  while (done < len) {
    const n = await writeOnce(fd, buf, done, len - done, pos + done);
    if (n <= 0) throw Object.assign(new Error("write returned 0 bytes"), { code: "EIO" });
    done += n;
  }
}

/** Reads up to `len` bytes at `pos` into `buf[off..]`; resolves to the count read. */
export function readAt(fd: number, buf: Uint8Array, off: number, len: number, pos: number) {
  return new Promise<number>((res, rej) =>
    fs.read(fd, buf, off, len, pos, (e, n) => e ? rej(e) : res(n))
  );
}
