/**
 * Authenticates MQTT CONNECTs against the identity registry with SAS tokens: username and
 * client id must name the same identity, the identity must exist and be enabled, and the
 * token must pass IoT Hub's exact validation with either of its keys.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  formatIdentityId,
  type IdentityRegistry,
  parseSasToken,
  SasError,
  validateSasToken,
} from "../../identity/mod.ts";
import type { Authenticator, AuthResult } from "../mqtt/mod.ts";
import { parseUsername, UsernameError } from "./username.ts";

export class SasAuthenticator implements Authenticator {
  constructor(
    private readonly registry: IdentityRegistry,
    /** Host names accepted in a token's `sr` (IoT hub host name and the gateway's). */
    private readonly hosts: string[],
    private readonly nowSecs: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async authenticate(
    req: { clientId: string; username?: string; password?: Uint8Array },
  ): Promise<AuthResult> {
    if (!req.username) return { ok: false, returnCode: 4, reason: "no username" };
    let user;
    try {
      user = parseUsername(req.username);
    } catch (e) {
      if (e instanceof UsernameError) return { ok: false, returnCode: 4, reason: e.message };
      throw e;
    }
    const identity = user.moduleId === undefined
      ? { deviceId: user.deviceId }
      : { deviceId: user.deviceId, moduleId: user.moduleId };
    if (formatIdentityId(identity) !== req.clientId) {
      return { ok: false, returnCode: 5, reason: "client id does not match the username" };
    }
    if (!req.password || req.password.length === 0) {
      return {
        ok: false,
        returnCode: 5,
        reason: "no SAS token (X.509 client auth is not enabled)",
      };
    }
    const record = await this.registry.get(identity);
    if (!record) return { ok: false, returnCode: 5, reason: `unknown identity '${req.clientId}'` };
    if (record.status !== "enabled") {
      return { ok: false, returnCode: 5, reason: `identity '${req.clientId}' is disabled` };
    }
    try {
      const token = parseSasToken(Buffer.from(req.password).toString("utf8"));
      const expiresAtSecs = validateSasToken(token, {
        deviceId: identity.deviceId,
        moduleId: identity.moduleId,
        hosts: this.hosts,
        keys: [record.primaryKey, record.secondaryKey],
        nowSecs: this.nowSecs(),
      });
      return { ok: true, identity, expiresAtSecs };
    } catch (e) {
      if (e instanceof SasError) return { ok: false, returnCode: 5, reason: e.message };
      throw e;
    }
  }
}
