/**
 * The workload API (what module containers call on their `workload.sock`): SAS signing with the
 * module key, the trust bundle, Edge-CA-issued server/identity certificates and encrypt/decrypt,
 * served as HTTP/1.1 on one unix socket per module. See /work/shared/spec/workload-api.md.
 */
export {
  handleWorkload,
  type ModuleKey,
  rfc3339,
  type WorkloadCall,
  type WorkloadDeps,
  type WorkloadKeys,
  type WorkloadPki,
  type WorkloadResponse,
} from "./handlers.ts";
export {
  API_VERSIONS,
  type ApiVersion,
  routeRequest,
  stripDollar,
  WorkloadError,
  type WorkloadRoute,
} from "./routes.ts";
export {
  startWorkloadServer,
  WorkloadApi,
  type WorkloadServer,
  type WorkloadServerOptions,
  type WorkloadServerTuning,
} from "./server.ts";
