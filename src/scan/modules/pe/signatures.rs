//! Authenticode signatures: `pe.number_of_signatures` and `pe.signatures[i]`.
//!
//! The security data directory holds a file offset (not a virtual address) and a size. Its
//! area is a list of `WIN_CERTIFICATE` entries (length, revision, type, then the data), each
//! starting on an 8-byte boundary. A revision 2.0 entry of type PKCS#7 holds one or more
//! DER-encoded PKCS#7 `ContentInfo` structures back to back, each a `SignedData` whose
//! content is Authenticode's `SpcIndirectDataContent`.
//!
//! As YARA 4.2 (built with OpenSSL) reports them, the "signatures" of a `SignedData` are the
//! certificates of its signers: for each signer, the certificate whose issuer and serial number
//! the signer names, found among the `SignedData`'s certificates (when one is missing, the
//! `SignedData` gives none). A nested signature (the unsigned attribute
//! 1.3.6.1.4.1.311.2.4.1 of the first signer, as dual-signed files carry) is a further
//! `SignedData` whose signers follow, depth first. At most 16 are listed. For each:
//!
//! - `issuer`, `subject`: the names as OpenSSL's `X509_NAME_oneline` prints them
//!   (`/C=US/O=Example/CN=Example`), at most 255 characters, whole attributes only;
//! - `serial`: the serial number's DER content bytes as lowercase hex separated by colons;
//! - `not_before`, `not_after`: seconds since the epoch; `version`: 1 to 3;
//! - `algorithm`, `algorithm_oid`: the certificate's signature algorithm (OpenSSL's long
//!   name, the dotted OID); `thumbprint`: the SHA-1 of the certificate, lowercase hex.
//!
//! Parsing uses the RustCrypto `cms` and `x509-cert` crates, which require DER. OpenSSL also
//! accepts some BER and certificates that break RFC 5280's encoding rules (serial numbers
//! over 21 bytes, validity dates before 1970); such a `SignedData` gives no signatures here.
//! Names are matched by their encoding where OpenSSL compares canonical forms (case and
//! spacing folded): a signer whose issuer is spelled differently in its certificate is not
//! found here.

use super::headers::Headers;
use super::reader::slice;
use super::Object;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Reader, SliceReader};
use sha1::Digest;
use x509_cert::name::Name;
use x509_cert::Certificate;

/// Most signatures YARA lists.
pub(crate) const MAX_SIGNATURES: usize = 16;
/// `IMAGE_DIRECTORY_ENTRY_SECURITY`.
const SECURITY_DIRECTORY: usize = 4;
/// Size of a `WIN_CERTIFICATE` header: length (4), revision (2), type (2).
const WIN_CERTIFICATE_HEADER: u64 = 8;
const REVISION_1: u16 = 0x0100;
const REVISION_2: u16 = 0x0200;
const TYPE_PKCS_SIGNED_DATA: u16 = 2;
/// Authenticode's nested signature attribute.
const NESTED_SIGNATURE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.4.1");
/// PKCS#7 `signedData`.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// Longest name `X509_NAME_oneline` writes into YARA's buffer.
const NAME_MAX: usize = 255;

/// Sets `number_of_signatures` and `signatures` of `pe` (an input of `size` bytes starting
/// with `data`), as YARA does: left undefined without a security directory entry, 0 when it
/// is empty or out of the file.
pub(super) fn describe(headers: &Headers<'_>, data: &[u8], size: u64, pe: &mut Object) {
    let Some((address, length)) = headers.directory(data, SECURITY_DIRECTORY) else {
        return;
    };
    pe.set("number_of_signatures", 0i64);
    let (start, length) = (address as u64, length as u64);
    if start == 0 || start > size || length > size || start + length > size {
        return;
    }
    let end = start + length;
    let mut signatures = Vec::new();
    let mut at = start;
    while let Some(header) = slice(data, at, WIN_CERTIFICATE_HEADER) {
        let entry_length = u32::from_le_bytes(header[0..4].try_into().expect("4")) as u64;
        let revision = u16::from_le_bytes(header[4..6].try_into().expect("2"));
        let kind = u16::from_le_bytes(header[6..8].try_into().expect("2"));
        if entry_length <= WIN_CERTIFICATE_HEADER
            || at + entry_length > size
            || at + WIN_CERTIFICATE_HEADER >= end
            || at + entry_length > end
        {
            break;
        }
        if revision != REVISION_1 && revision != REVISION_2 {
            break;
        }
        let entry_end = at + entry_length;
        if revision == REVISION_2 && kind == TYPE_PKCS_SIGNED_DATA {
            if let Some(body) = slice(data, at + WIN_CERTIFICATE_HEADER, entry_length - 8) {
                read_content_infos(body, &mut signatures);
            }
        }
        at = (entry_end + 7) & !7;
    }
    pe.set("number_of_signatures", signatures.len() as u64);
    pe.set("signatures", Object::Array(signatures));
}

/// The signatures of the `ContentInfo`s in `body`, one after another until one does not parse.
fn read_content_infos(body: &[u8], out: &mut Vec<Object>) {
    let Ok(mut reader) = SliceReader::new(body) else {
        return;
    };
    while !reader.is_finished() && out.len() < MAX_SIGNATURES {
        let Ok(info) = ContentInfo::decode(&mut reader) else {
            break;
        };
        signed_data_signatures(&info, out);
    }
}

/// The signer certificates of one PKCS#7 `ContentInfo`, then those of its nested signatures.
fn signed_data_signatures(info: &ContentInfo, out: &mut Vec<Object>) {
    if out.len() >= MAX_SIGNATURES || info.content_type != SIGNED_DATA {
        return;
    }
    let Ok(signed) = info.content.decode_as::<SignedData>() else {
        return;
    };
    let certificates: Vec<&Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let mut signers = Vec::new();
    for signer in signed.signer_infos.0.iter() {
        let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
            return;
        };
        let found = certificates.iter().find(|c| {
            c.tbs_certificate.issuer == id.issuer
                && c.tbs_certificate.serial_number.as_bytes() == id.serial_number.as_bytes()
        });
        match found {
            Some(c) => signers.push(*c),
            // OpenSSL's PKCS7_get0_signers fails as a whole.
            None => return,
        }
    }
    if signers.is_empty() {
        return;
    }
    for certificate in signers {
        if out.len() >= MAX_SIGNATURES {
            return;
        }
        out.push(describe_certificate(certificate));
    }
    let Some(first) = signed.signer_infos.0.iter().next() else {
        return;
    };
    let nested = first
        .unsigned_attrs
        .iter()
        .flat_map(|attrs| attrs.iter())
        .find(|a| a.oid == NESTED_SIGNATURE);
    for value in nested
        .iter()
        .flat_map(|a| a.values.iter())
        .take(MAX_SIGNATURES)
    {
        if let Ok(inner) = value.decode_as::<ContentInfo>() {
            signed_data_signatures(&inner, out);
        }
    }
}

fn hex(bytes: &[u8], separator: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(separator)
}

fn describe_certificate(c: &Certificate) -> Object {
    let tbs = &c.tbs_certificate;
    let mut o = Object::structure();
    if let Ok(der) = c.to_der() {
        o.set("thumbprint", hex(&sha1::Sha1::digest(&der), "").as_str());
    }
    o.set("issuer", oneline(&tbs.issuer));
    o.set("subject", oneline(&tbs.subject));
    o.set("version", tbs.version as u64 + 1);
    let oid = c.signature_algorithm.oid;
    o.set("algorithm", long_name(&oid).unwrap_or("undefined"));
    o.set("algorithm_oid", oid.to_string().as_str());
    let serial = tbs.serial_number.as_bytes();
    if (1..=20).contains(&serial.len()) {
        o.set("serial", hex(serial, ":").as_str());
    }
    o.set(
        "not_before",
        tbs.validity.not_before.to_unix_duration().as_secs(),
    );
    o.set(
        "not_after",
        tbs.validity.not_after.to_unix_duration().as_secs(),
    );
    o
}

/// A name as OpenSSL's `X509_NAME_oneline` writes it into a 256-byte buffer: `/SN=value` per
/// attribute (OpenSSL's short name, else the dotted OID), bytes outside printable ASCII as
/// `\xHH`, `/` and `+` escaped with a backslash, attributes that would pass 255 characters
/// left out with all that follow. A `GeneralString` whose length is a multiple of four and
/// whose first three bytes of each group are zero prints only every fourth byte.
pub fn oneline(name: &Name) -> Vec<u8> {
    const UNIVERSAL_GENERAL_STRING: u8 = 0x1b;
    let mut out = Vec::new();
    for attribute in name.0.iter().flat_map(|rdn| rdn.0.iter()) {
        let oid = attribute.oid;
        let key = short_name(&oid).map_or_else(|| oid.to_string(), str::to_string);
        let value = attribute.value.value();
        let tag: u8 = der::Tagged::tag(&attribute.value).into();
        let every_fourth = tag == UNIVERSAL_GENERAL_STRING
            && value.len() % 4 == 0
            && value.chunks(4).all(|c| c[..3].iter().all(|&b| b == 0));
        let mut entry = Vec::with_capacity(key.len() + value.len() + 2);
        entry.push(b'/');
        entry.extend_from_slice(key.as_bytes());
        entry.push(b'=');
        for (i, &b) in value.iter().enumerate() {
            if every_fourth && i % 4 != 3 {
                continue;
            }
            match b {
                b'/' | b'+' => entry.extend_from_slice(&[b'\\', b]),
                0x20..=0x7e => entry.push(b),
                _ => entry.extend_from_slice(format!("\\x{b:02X}").as_bytes()),
            }
        }
        if out.len() + entry.len() > NAME_MAX {
            break;
        }
        out.extend_from_slice(&entry);
    }
    out
}

/// OpenSSL's short names of the attribute types certificates use.
fn short_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("2.5.4.3", "CN"),
        ("2.5.4.4", "SN"),
        ("2.5.4.5", "serialNumber"),
        ("2.5.4.6", "C"),
        ("2.5.4.7", "L"),
        ("2.5.4.8", "ST"),
        ("2.5.4.9", "street"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
        ("2.5.4.12", "title"),
        ("2.5.4.13", "description"),
        ("2.5.4.15", "businessCategory"),
        ("2.5.4.16", "postalAddress"),
        ("2.5.4.17", "postalCode"),
        ("2.5.4.18", "postOfficeBox"),
        ("2.5.4.20", "telephoneNumber"),
        ("2.5.4.41", "name"),
        ("2.5.4.42", "GN"),
        ("2.5.4.43", "initials"),
        ("2.5.4.44", "generationQualifier"),
        ("2.5.4.45", "x500UniqueIdentifier"),
        ("2.5.4.46", "dnQualifier"),
        ("2.5.4.65", "pseudonym"),
        ("2.5.4.97", "organizationIdentifier"),
        ("1.2.840.113549.1.9.1", "emailAddress"),
        ("1.2.840.113549.1.9.2", "unstructuredName"),
        ("0.9.2342.19200300.100.1.1", "UID"),
        ("0.9.2342.19200300.100.1.25", "DC"),
        ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
        ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
        ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
    ];
    lookup(NAMES, oid)
}

/// OpenSSL's long names of certificate signature algorithms.
fn long_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"),
        ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
        ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
        ("1.2.840.113549.1.1.10", "rsassaPss"),
        ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
        ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
        ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
        ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"),
        ("1.3.14.3.2.29", "sha1WithRSA"),
        ("1.2.840.10040.4.3", "dsaWithSHA1"),
        ("2.16.840.1.101.3.4.3.2", "dsa_with_SHA256"),
        ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
        ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
        ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
        ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
        ("1.3.101.112", "ED25519"),
    ];
    lookup(NAMES, oid)
}

fn lookup(names: &[(&str, &'static str)], oid: &ObjectIdentifier) -> Option<&'static str> {
    let dotted = oid.to_string();
    names.iter().find(|(o, _)| *o == dotted).map(|(_, n)| *n)
}
