import type { Finding, Profile } from "../../protocol/profile";

/** One findings rule: a pure function of the profile. */
export interface FindingRule {
  /** Stable id, e.g. "large-queue-payloads"; also Finding.rule. */
  readonly id: string;
  /** One line for docs and settings. */
  readonly description: string;
  check(profile: Profile): Finding[];
}
