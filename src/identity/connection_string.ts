/**
 * IoT Hub connection strings (`HostName=..;DeviceId=..;ModuleId=..;SharedAccessKey=..;
 * GatewayHostName=..`), as `ledge identity add` prints them and the SDKs read them.
 *
 * @module
 */

export interface ConnectionStringParts {
  hostName: string;
  deviceId: string;
  moduleId?: string;
  sharedAccessKey: string;
  gatewayHostName?: string;
}

/** Formats the parts in the order the Azure tools print them. */
export function formatConnectionString(p: ConnectionStringParts): string {
  const fields = [`HostName=${p.hostName}`, `DeviceId=${p.deviceId}`];
  if (p.moduleId !== undefined) fields.push(`ModuleId=${p.moduleId}`);
  fields.push(`SharedAccessKey=${p.sharedAccessKey}`);
  if (p.gatewayHostName !== undefined) fields.push(`GatewayHostName=${p.gatewayHostName}`);
  return fields.join(";");
}

/** Parses a connection string; throws naming the missing field. */
export function parseConnectionString(s: string): ConnectionStringParts {
  const map = new Map<string, string>();
  for (const field of s.split(";")) {
    if (!field) continue;
    const eq = field.indexOf("=");
    if (eq <= 0) throw new Error(`connection string field '${field}' has no '='`);
    map.set(field.slice(0, eq), field.slice(eq + 1));
  }
  const need = (k: string) => {
    const v = map.get(k);
    if (!v) throw new Error(`connection string has no ${k}`);
    return v;
  };
  return {
    hostName: need("HostName"),
    deviceId: need("DeviceId"),
    moduleId: map.get("ModuleId"),
    sharedAccessKey: need("SharedAccessKey"),
    gatewayHostName: map.get("GatewayHostName"),
  };
}
