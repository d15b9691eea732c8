/**
 * Routing messages to endpoints through the durable log: the router (the hub's message
 * sink), per-endpoint queues, and the stored record format.
 *
 * @module
 */
export { MessageRouter } from "./message_router.ts";
export { consumerName, EndpointQueue, type QueuedMessage } from "./endpoint_queue.ts";
export {
  decodeRoutedRecord,
  encodeRoutedRecord,
  RoutedRecordError,
  type RouteTarget,
} from "./routed_record.ts";
