/**
 * Typed errors of the segment log. Callers branch on the class (e.g. a protocol head stops
 * acknowledging on {@link StoreFullError}) instead of parsing messages.
 *
 * @module
 */

/** The disk (or the store's budget for writes) is full: the append was not stored. */
export class StoreFullError extends Error {
  override name = "StoreFullError";
  /** Errno code that caused it (`ENOSPC`, `EDQUOT`), or `"FULL_STATE"` while failing fast. */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** An I/O error other than a full disk: the append was not stored. */
export class StoreIOError extends Error {
  override name = "StoreIOError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The log was closed; no more appends or reads. */
export class StoreClosedError extends Error {
  override name = "StoreClosedError";
  constructor(message = "segment log is closed") {
    super(message);
  }
}

/** A payload larger than the configured `maxRecordBytes`. */
export class RecordTooLargeError extends Error {
  override name = "RecordTooLargeError";
  constructor(readonly size: number, readonly limit: number) {
    super(`record of ${size} bytes exceeds maxRecordBytes ${limit}`);
  }
}

/** A store option or an on-disk file that failed to parse; the message names the field. */
export class StoreConfigError extends Error {
  override name = "StoreConfigError";
  constructor(message: string) {
    super(message);
  }
}

/** Whether an errno-style error means "no space left" (disk or quota). */
export function isNoSpaceError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}
