/**
 * Device and module twins kept locally: desired and reported sections, each with its own
 * `$version`. Desired patches (from the cloud side: `ledge twin update`, or a deployment) are
 * announced to listeners so connected clients get their notification.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { Db, TwinRow } from "../../db/mod.ts";
import {
  checkPatch,
  mergePatch,
  TwinPatchError,
  type TwinProps,
  withoutMetadata,
} from "./merge.ts";

/** A twin as GET returns it. */
export interface Twin {
  desired: TwinProps & { $version: number };
  reported: TwinProps & { $version: number };
}

/** A desired-properties change, as the notification carries it. */
export interface DesiredPatch {
  id: string;
  patch: TwinProps;
  version: number;
}

const SECTION_LIMIT = 32 * 1024;

function toTwin(r: TwinRow): Twin {
  return {
    desired: { ...JSON.parse(r.desired), $version: r.desired_version },
    reported: { ...JSON.parse(r.reported), $version: r.reported_version },
  };
}

/** Twins over the state database; emits `desired` with a {@link DesiredPatch}. */
export class TwinStore
  extends EventEmitter<{ desired: [DesiredPatch]; reported: [string, TwinProps, number] }> {
  /** Updates run one at a time: each reads, merges and writes a row (no lost updates). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Db) {
    super();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  private async row(id: string): Promise<TwinRow> {
    const found = await this.db.selectFrom("twins").selectAll().where("id", "=", id)
      .executeTakeFirst();
    if (found) return found;
    const row: TwinRow = {
      id,
      desired: "{}",
      desired_version: 1,
      reported: "{}",
      reported_version: 1,
      updated_at: new Date().toISOString(),
    };
    await this.db.insertInto("twins").values(row).onConflict((oc) => oc.doNothing()).execute();
    return row;
  }

  /** The whole twin (created empty on first use). */
  async get(id: string): Promise<Twin> {
    return toTwin(await this.row(id));
  }

  /**
   * Replaces one section with `next(current)` and bumps its `$version`, one update at a
   * time. Patches are held to IoT Hub's section size; whole replacements (deployments, the
   * agent's report) are not.
   */
  private update(
    id: string,
    section: "desired" | "reported",
    next: (current: TwinProps) => TwinProps,
    limited: boolean,
  ): Promise<number> {
    return this.serial(async () => {
      const row = await this.row(id);
      const text = JSON.stringify(next(JSON.parse(row[section])));
      if (limited && text.length > SECTION_LIMIT) {
        throw new TwinPatchError(`${section} properties would exceed ${SECTION_LIMIT} bytes`);
      }
      const version = row[`${section}_version`] + 1;
      await this.db.updateTable("twins").set({
        [section]: text,
        [`${section}_version`]: version,
        updated_at: new Date().toISOString(),
      }).where("id", "=", id).execute();
      return version;
    });
  }

  /** Merges a reported patch; returns the new reported `$version`. */
  async patchReported(id: string, patch: unknown): Promise<number> {
    const p = withoutMetadata(checkPatch(patch, "reported properties patch"));
    const version = await this.update(id, "reported", (cur) => mergePatch(cur, p), true);
    this.emit("reported", id, p, version);
    return version;
  }

  /** Merges a desired patch, notifies listeners; returns the new desired `$version`. */
  async patchDesired(id: string, patch: unknown): Promise<number> {
    const p = withoutMetadata(checkPatch(patch, "desired properties patch"));
    const version = await this.update(id, "desired", (cur) => mergePatch(cur, p), true);
    this.emit("desired", { id, patch: p, version });
    return version;
  }

  /** Replaces the desired section (deployments do this for `$edgeAgent`/`$edgeHub`). */
  async replaceDesired(id: string, desired: TwinProps): Promise<number> {
    const value = withoutMetadata(desired);
    const version = await this.update(id, "desired", () => value, false);
    this.emit("desired", { id, patch: value, version });
    return version;
  }

  /** Replaces the reported section (the agent's `$edgeAgent` report). */
  replaceReported(id: string, reported: TwinProps): Promise<number> {
    return this.update(id, "reported", () => withoutMetadata(reported), false);
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom("twins").where("id", "=", id).execute();
  }
}
