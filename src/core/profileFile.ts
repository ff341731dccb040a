/** Reading and writing profile files, with one-line errors for corrupt or foreign JSON. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Profile } from "../protocol/profile";
import { PROFILE_SCHEMA } from "../protocol/profile";
import { WmprofError } from "./errors";

export function readProfileFile(path: string): Profile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WmprofError(code === "ENOENT" ? `Profile not found: ${path}` : code === "EISDIR" ? `${path} is a directory, not a profile.` : `Cannot read ${path}: ${code ?? "unknown error"}.`);
  }
  return parseProfile(text, path);
}

export function parseProfile(text: string, label: string): Profile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new WmprofError(`${label} is not valid JSON; expected a wmprof profile (schema "${PROFILE_SCHEMA}").`);
  }
  const o = v as Partial<Profile> | null;
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new WmprofError(`${label} is not a wmprof profile.`);
  if (o.schema !== PROFILE_SCHEMA) {
    const found = typeof o.schema === "string" ? `schema "${o.schema}"` : "no schema field";
    throw new WmprofError(`${label} is not a ${PROFILE_SCHEMA} profile (${found}).`);
  }
  if (!Array.isArray(o.processes) || !Array.isArray(o.copies) || typeof o.totals !== "object" || o.totals === null) {
    throw new WmprofError(`${label} claims ${PROFILE_SCHEMA} but is missing processes, copies or totals; it may be truncated.`);
  }
  return o as Profile;
}

/** Writes atomically (temp file + rename) so a crash never leaves half a profile. */
export function writeProfileFile(path: string, p: Profile): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(p, null, 1) + "\n");
    renameSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WmprofError(`Cannot write profile to ${path}: ${code ?? (e as Error).message}.`);
  }
}
