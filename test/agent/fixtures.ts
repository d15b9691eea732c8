/**
 * Shared test fixtures for the agent tests: manifest builders and container/desired-module
 * factories. Not a test file itself.
 */
import type { DesiredContainer } from "../../src/agent/container_spec.ts";
import type { ActualContainer, ModuleSpec } from "../../src/agent/types.ts";

/** A user module object as written in a manifest. */
export function moduleJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "docker",
    status: "running",
    restartPolicy: "always",
    settings: { image: "ledge-test/busybox:1", createOptions: "{}" },
    ...over,
  };
}

/** A full manifest envelope with the given user modules. */
export function manifest(
  modules: Record<string, unknown>,
  agentOver: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    modulesContent: {
      $edgeAgent: {
        "properties.desired": {
          schemaVersion: "1.1",
          runtime: { type: "docker", settings: { minDockerVersion: "v1.25" } },
          systemModules: {
            edgeAgent: { type: "docker", settings: { image: "ledge/agent:1" } },
            edgeHub: {
              type: "docker",
              status: "running",
              restartPolicy: "always",
              settings: { image: "ledge/hub:1" },
            },
          },
          modules,
          ...agentOver,
        },
      },
      $edgeHub: {
        "properties.desired": {
          schemaVersion: "1.1",
          routes: {},
          storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
        },
      },
    },
  };
}

/** A ModuleSpec with defaults. */
export function spec(name: string, over: Partial<ModuleSpec> = {}): ModuleSpec {
  return {
    name,
    type: "docker",
    version: "",
    status: "running",
    restartPolicy: "always",
    imagePullPolicy: "on-create",
    startupOrder: 4294967295,
    image: "img:1",
    imageAsWritten: "img:1",
    createOptions: {},
    env: {},
    ...over,
  };
}

/** A desired container with an explicit hash. */
export function desired(
  name: string,
  hash: string,
  over: Partial<ModuleSpec> = {},
): DesiredContainer {
  return { spec: spec(name, over), body: {}, configHash: hash };
}

/** An actual container. */
export function container(name: string, over: Partial<ActualContainer> = {}): ActualContainer {
  return {
    id: `id-${name}`,
    name,
    configHash: "h",
    image: "img:1",
    imageId: "sha256:x",
    state: "running",
    exitCode: 0,
    health: "none",
    startedAt: new Date(0),
    ...over,
  };
}

/** The modulesContent of a manifest built by `manifest()`. */
export function contentOf(m: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return m.modulesContent as Record<string, Record<string, unknown>>;
}
