/**
 * The official Azure IoT device SDK (npm azure-iot-device + azure-iot-device-mqtt, unmodified)
 * wrapped in promises for tests.
 *
 * @module
 */
import { Client, Message, ModuleClient } from "azure-iot-device";
import { Mqtt } from "azure-iot-device-mqtt";

export { Client, Message, ModuleClient, Mqtt };

// deno-lint-ignore no-explicit-any -- the SDK's callback APIs are typed loosely
type Cb = (err?: any, result?: any) => void;

/** Calls a callback-style SDK method and resolves with its result. */
export function cb<T = unknown>(fn: (done: Cb) => void): Promise<T> {
  return new Promise((ok, fail) => fn((err, result) => (err ? fail(err) : ok(result as T))));
}

/** A device client from a connection string, trusting `ca`, opened. */
export async function openDevice(connectionString: string, ca: string): Promise<Client> {
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca });
  await client.open();
  return client;
}

/** A module client from a connection string, trusting `ca`, opened. */
export async function openModule(connectionString: string, ca: string): Promise<ModuleClient> {
  const client = ModuleClient.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca });
  await client.open();
  return client;
}
