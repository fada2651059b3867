//! Making confirmation IDs: the vendor's side of [`actline_formats::confirm`]
//! (re-exported here), which reads and verifies them.
//!
//! The only way in is [`crate::home::Secrets::confirmation_id`], which takes
//! the [`Grant`](crate::entitlement::rules::Grant) that only the entitlement
//! rules make: nothing in this crate's public API mints a confirmation ID
//! from terms a caller built.

pub use actline_formats::confirm::*;

use crate::ids::InstallationId;
use std::fmt;

/// The vendor's BLS signing key.
pub struct SigningKey(blst::min_sig::SecretKey);

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut ikm = [0u8; 32];
        getrandom::fill(&mut ikm)?;
        Ok(Self(
            blst::min_sig::SecretKey::key_gen(&ikm, &[])
                .expect("32 bytes of key material is enough"),
        ))
    }

    /// The key from its 32-byte serialization.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        blst::min_sig::SecretKey::from_bytes(bytes).ok().map(Self)
    }

    /// The 32-byte serialization (secret!).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key, compressed (96 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.0.sk_to_pk().compress().to_vec()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// Makes a signed confirmation ID. Crate-private: reached only through a
/// grant.
pub(crate) fn issue_signed(key: &SigningKey, iid: &InstallationId, terms: Terms) -> String {
    let sig = key.0.sign(&message(iid, terms), DST, &[]).compress();
    encode_signed(&sig, terms)
}

/// Makes a compact confirmation ID under a product's verification secret.
/// Crate-private: reached only through a grant.
pub(crate) fn issue_compact(secret: &[u8], iid: &InstallationId, terms: Terms) -> String {
    encode_compact(secret, iid, terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::HardwareHash;
    use crate::keys::KeyKind;

    fn iid(serial: u64, machine: u64) -> InstallationId {
        InstallationId {
            product: 7,
            key_serial: serial,
            key_proof: 99,
            hardware: HardwareHash::numbered(machine),
            day: 2500,
            host_key: None,
        }
    }

    const TERMS: Terms = Terms {
        kind: KeyKind::Mak,
        reactivation: false,
        key: 0,
    };

    #[test]
    fn a_signed_id_is_20_groups_and_verifies_only_for_its_installation() {
        let sk = SigningKey::generate().unwrap();
        let v = Verifier::signed(&sk.public_key()).unwrap();
        let id = iid(1, 1);
        let cid = issue_signed(&sk, &id, TERMS);
        assert_eq!(cid.split('-').count(), 20);
        assert_eq!(verify(&cid, &id, &v), Ok(TERMS));
        assert_eq!(
            verify(&cid, &iid(2, 1), &v),
            Err(ConfirmError::Invalid),
            "other key"
        );
        assert_eq!(
            verify(&cid, &iid(1, 2), &v),
            Err(ConfirmError::Invalid),
            "other machine"
        );
        let other = Verifier::signed(&SigningKey::generate().unwrap().public_key()).unwrap();
        assert_eq!(
            verify(&cid, &id, &other),
            Err(ConfirmError::Invalid),
            "other vendor"
        );
    }

    #[test]
    fn a_signed_id_names_its_key_and_verifies_with_that_key_among_several() {
        let (old, new) = (
            SigningKey::generate().unwrap(),
            SigningKey::generate().unwrap(),
        );
        let id = iid(1, 1);
        let by_old = issue_signed(&old, &id, TERMS);
        let by_new = issue_signed(&new, &id, Terms { key: 1, ..TERMS });
        let both = Verifier::signed_keys([
            (0, old.public_key().as_slice()),
            (1, new.public_key().as_slice()),
        ])
        .unwrap();
        assert_eq!(verify(&by_old, &id, &both), Ok(TERMS));
        assert_eq!(verify(&by_new, &id, &both).map(|t| t.key), Ok(1));
        // A trust file from before key 1 names what it lacks.
        let only_old = Verifier::signed(&old.public_key()).unwrap();
        assert_eq!(
            verify(&by_new, &id, &only_old),
            Err(ConfirmError::UnknownKey(1))
        );
        // The number is signed: key 1's signature presented as key 0's fails.
        let swapped = Verifier::signed_keys([(0, new.public_key().as_slice())]).unwrap();
        assert_eq!(verify(&by_old, &id, &swapped), Err(ConfirmError::Invalid));
    }

    #[test]
    fn a_compact_id_is_8_groups_of_6_and_verifies_only_for_its_installation() {
        let id = iid(5, 3);
        let cid = issue_compact(b"product secret", &id, TERMS);
        assert_eq!(cid.len(), 8 * 6 + 7);
        let v = Verifier::Compact(b"product secret".to_vec());
        assert_eq!(verify(&cid, &id, &v), Ok(TERMS));
        assert_eq!(verify(&cid, &iid(5, 4), &v), Err(ConfirmError::Invalid));
        assert_eq!(
            verify(&cid, &id, &Verifier::Compact(b"other".to_vec())),
            Err(ConfirmError::Invalid)
        );
    }

    #[test]
    fn a_typo_in_a_confirmation_id_names_the_group() {
        let id = iid(5, 3);
        let cid = issue_compact(b"k", &id, TERMS);
        let mut chars: Vec<char> = cid.chars().collect();
        chars[8] = if chars[8] == '0' { '1' } else { '0' };
        let typed: String = chars.into_iter().collect();
        let err = verify(&typed, &id, &Verifier::Compact(b"k".to_vec())).unwrap_err();
        assert!(err.to_string().contains("group 2"), "{err}");
    }

    #[test]
    fn a_consistent_edit_of_a_signed_id_is_refused() {
        let sk = SigningKey::generate().unwrap();
        let v = Verifier::signed(&sk.public_key()).unwrap();
        let id = iid(1, 1);
        let cid = issue_signed(&sk, &id, TERMS);
        let mut payload = SIGNED_LAYOUT.parse(&cid).unwrap();
        payload[50] = (payload[50] + 1) % 10;
        assert_eq!(
            verify(&SIGNED_LAYOUT.format(&payload), &id, &v),
            Err(ConfirmError::Invalid)
        );
    }
}
