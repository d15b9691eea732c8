/**
 * The identity registry: devices and modules with their symmetric keys (primary and
 * secondary), kept in the state database. Module identities belong to a device that exists.
 *
 * @module
 */
import { randomBytes, randomUUID } from "node:crypto";
import { identityIdPattern } from "../config/mod.ts";
import type { Db, IdentityRow } from "../db/mod.ts";

/** A device (`dev`) or module (`dev/mod`) id, parsed. */
export interface IdentityId {
  deviceId: string;
  moduleId?: string;
}

/** A registered identity. */
export interface Identity extends IdentityId {
  id: string;
  primaryKey: string;
  secondaryKey: string;
  generationId: string;
  managedBy: string;
  status: "enabled" | "disabled";
  createdAt: string;
}

/** A registry operation that cannot be done; `status` is the HTTP status it maps to. */
export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(message: string, readonly status: 400 | 404 | 409) {
    super(message);
  }
}

/** Parses `dev` or `dev/mod`; throws a RegistryError(400) naming what is wrong. */
export function parseIdentityId(text: string): IdentityId {
  const parts = text.split("/");
  if (parts.length > 2) throw new RegistryError(`'${text}': expected DEVICE or DEVICE/MODULE`, 400);
  for (const p of parts) {
    if (!identityIdPattern.test(p)) {
      throw new RegistryError(
        `'${p}' is not a valid id (1-128 of letters, digits and -.%_*?!(),:=@$')`,
        400,
      );
    }
  }
  return parts.length === 2 ? { deviceId: parts[0], moduleId: parts[1] } : { deviceId: parts[0] };
}

/** `dev` or `dev/mod`. */
export function formatIdentityId(id: IdentityId): string {
  return id.moduleId === undefined ? id.deviceId : `${id.deviceId}/${id.moduleId}`;
}

function newKey(): string {
  return randomBytes(32).toString("base64");
}

function fromRow(r: IdentityRow): Identity {
  return {
    id: r.id,
    deviceId: r.device_id,
    ...(r.module_id === null ? {} : { moduleId: r.module_id }),
    primaryKey: r.primary_key,
    secondaryKey: r.secondary_key,
    generationId: r.generation_id,
    managedBy: r.managed_by,
    status: r.status === "disabled" ? "disabled" : "enabled",
    createdAt: r.created_at,
  };
}

/** Identities over the state database. */
export class IdentityRegistry {
  constructor(private readonly db: Db) {}

  /** Creates an identity with fresh keys; 409 if it exists, 404 if a module's device doesn't. */
  async add(id: IdentityId, opts: { managedBy?: string } = {}): Promise<Identity> {
    const key = formatIdentityId(id);
    if (id.moduleId !== undefined && !(await this.get({ deviceId: id.deviceId }))) {
      throw new RegistryError(`device '${id.deviceId}' does not exist; add it first`, 404);
    }
    if (await this.get(id)) throw new RegistryError(`identity '${key}' already exists`, 409);
    const row: IdentityRow = {
      id: key,
      device_id: id.deviceId,
      module_id: id.moduleId ?? null,
      primary_key: newKey(),
      secondary_key: newKey(),
      generation_id: randomUUID(),
      managed_by: opts.managedBy ?? "user",
      status: "enabled",
      created_at: new Date().toISOString(),
    };
    try {
      await this.db.insertInto("identities").values(row).execute();
    } catch (e) {
      // Added concurrently between the check above and this insert.
      if (/UNIQUE constraint failed/.test(String(e))) {
        throw new RegistryError(`identity '${key}' already exists`, 409);
      }
      throw e;
    }
    return fromRow(row);
  }

  /** Returns the identity, creating it when missing (used for the edge device and modules). */
  async ensure(id: IdentityId, opts: { managedBy?: string } = {}): Promise<Identity> {
    const found = await this.get(id);
    if (found) return found;
    try {
      return await this.add(id, opts);
    } catch (e) {
      const raced = e instanceof RegistryError && e.status === 409 ? await this.get(id) : undefined;
      if (raced) return raced;
      throw e;
    }
  }

  async get(id: IdentityId): Promise<Identity | undefined> {
    const row = await this.db.selectFrom("identities").selectAll()
      .where("id", "=", formatIdentityId(id)).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<Identity[]> {
    const rows = await this.db.selectFrom("identities").selectAll().orderBy("id").execute();
    return rows.map(fromRow);
  }

  /** Removes an identity (and, for a device, its modules); 404 if it does not exist. */
  async remove(id: IdentityId): Promise<void> {
    const key = formatIdentityId(id);
    const result = await this.db.deleteFrom("identities").where("id", "=", key).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new RegistryError(`identity '${key}' not found`, 404);
    if (id.moduleId === undefined) {
      await this.db.deleteFrom("identities").where("device_id", "=", id.deviceId).execute();
    }
  }
}
