"""Evidence that holds: a signed manifest, a report bound to it, and the checks that prove both.

How the pieces fit, in the order they are written:

1. Every stage records its outputs (path, sha256, bytes) in `manifest.json`.
2. The report stage runs with no report record in the manifest (the pipeline drops it first).
   It embeds `manifest_digest(manifest)`: the sha256 of the manifest *without its report stage*,
   as canonical JSON (`appliance.records.dumps`), not of the file's bytes. It also lists every
   non-report artefact with its sha256 and the public key that will sign the run.
3. The pipeline records the report stage (report.json, report.html, report.pdf, DATASHEET.md,
   MODEL_CARD.md with their hashes) in the manifest: the manifest's last write.
4. Every manifest write (steps 1 and 3, and every other) is signed as it is made
   (`signing.sealed_manifest_write`, from `RunDir.save_manifest`): the bytes of `manifest.json`
   with this installation's Ed25519 key (`APPLIANCE_HOME/keys/signing.key`, 0600, outside the
   run), into `manifest.sig` (64 raw bytes) beside `signing_key.pub` (PEM). A write is refused
   when the manifest on disk is not one this key signed, so an edited manifest never comes out
   signed, and a run killed at any point resumes from a signed one. `sign_run(run)` signs the
   manifest as it is, for tools and tests that build runs by hand.

`verify_run` then checks, independently: the signature over manifest.json; every artefact
against its recorded hash (vault entries only where the vault is on this machine); the policy
and config snapshots; and that report.json agrees with the manifest (run id, the digest of the
manifest minus its report stage, the artefact list, the policy hash, the signing key).
Because step 2 hashes the manifest minus the report stage, the report's digest stays checkable
after step 3 adds the report record, and goes stale exactly when an earlier stage re-runs.

Without the appliance, an auditor can check the signature with OpenSSL 3:

    openssl pkeyutl -verify -pubin -inkey signing_key.pub -rawin -in manifest.json -sigfile manifest.sig
"""

from appliance.evidence.diff import RunDiff, diff_runs
from appliance.evidence.digest import manifest_digest
from appliance.evidence.signing import sign_run, signing_identity
from appliance.evidence.verify import Verification, VerificationFailed, verify_run

__all__ = ["RunDiff", "Verification", "VerificationFailed", "diff_runs", "manifest_digest", "sign_run", "signing_identity", "verify_run"]
