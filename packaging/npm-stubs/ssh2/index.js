"use strict";
// ledge reaches the container engine over a unix socket only (moby.socket). docker-modem
// (dockerode's transport) loads ssh2 when it loads, for engines at ssh:// addresses; this
// stand-in keeps a whole SSH implementation (and its optional native addon) out of ledge.
// Linked in place of the registry package by deno.json "links".
class Client {
  constructor() {
    throw new Error("Docker over SSH is not supported by ledge: moby.socket must be a unix socket");
  }
}
module.exports = { Client };
