-- Writes Prosody accounts user<i> (password pass<i>) for i = k, k+w, k+2w, ... <= n, with
-- exactly what mod_auth_internal_hashed's create_user stores when password_hash = "SHA-256":
-- { salt = <uuid>, iteration_count = <iter>, stored_key = hex, server_key = hex }, derived
-- by Prosody's own util.sasl.scram hasher and written by its util.datamanager (the
-- internal storage). Accounts that already exist are left alone.
-- Run by bench/peers/prosody.sh users N as the prosody user.
-- Usage: lua5.4 prosody-users.lua DATA_PATH HOST N K W ITERATIONS
local data_path, host, n, k, w, iter = ...
n, k, w, iter = tonumber(n), tonumber(k), tonumber(w), tonumber(iter)
assert(data_path and host and n and k and w and iter,
	"usage: prosody-users.lua DATA_PATH HOST N K W ITERATIONS")

package.path = "/usr/lib/prosody/?.lua;" .. package.path
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath

require "util.sasl" -- registers the SCRAM mechanisms and fills the hashers table
local hasher = assert(require "util.sasl.scram".hashers["SHA-256"], "no SCRAM-SHA-256 hasher")
local hex = require "util.hex"
local uuid = require "util.uuid"
local dm = require "util.datamanager"
local lfs = require "lfs"

dm.set_data_path(data_path)

local created, existing = 0, 0
for i = k, n, w do
	local user = "user" .. i
	if lfs.attributes(dm.getpath(user, host, "accounts", "dat"), "mode") == "file" then
		existing = existing + 1
	else
		local salt = uuid.generate()
		local ok, stored_key, server_key = hasher("pass" .. i, salt, iter)
		assert(ok, stored_key)
		assert(dm.store(user, host, "accounts", {
			salt = salt,
			iteration_count = iter,
			stored_key = hex.encode(stored_key),
			server_key = hex.encode(server_key),
		}))
		created = created + 1
	end
end
io.stderr:write(("worker %d/%d: created=%d existing=%d\n"):format(k, w, created, existing))
