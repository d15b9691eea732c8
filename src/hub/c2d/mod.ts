/**
 * Cloud-to-device message queue.
 *
 * @module
 */
export { C2dQueue, DEFAULT_C2D_TTL_SECS, MAX_QUEUE_DEPTH, QueueFullError } from "./queue.ts";
