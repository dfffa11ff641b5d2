//! Any request body, as a sign form or as JSON: parsing and validation never
//! panic, and what they refuse is refused as the client's fault (4xx).
#![no_main]

use libfuzzer_sys::fuzz_target;
use undersigned::domain::{NewSignature, SignerName};
use undersigned::routes::input::{parse_sign_form, parse_sign_json};

fuzz_target!(|body: &[u8]| {
    for parsed in [parse_sign_form(body, Default::default()).map(|(input, _, _)| input), parse_sign_json(body, Default::default()).map(|(input, _)| input)] {
        match parsed {
            Ok(input) => {
                if let Ok(signature) = NewSignature::parse(&input) {
                    // What validation lets through is within the column limits.
                    assert!(signature.name.as_str().len() <= SignerName::MAX_BYTES);
                    assert!(signature.email.as_str().len() <= 254);
                }
            }
            Err(e) => assert!(actix_web::ResponseError::status_code(&e).is_client_error(), "{e}"),
        }
    }
});
