/**
 * Configuration: schema, defaults and loading.
 *
 * @module
 */
export { type Config, configSchema, identityIdPattern } from "./schema.ts";
export {
  ConfigError,
  DEFAULT_CONFIG_YAML,
  describeIssues,
  loadConfig,
  type LoadedConfig,
  parseConfig,
} from "./load.ts";
