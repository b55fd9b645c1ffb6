//! The reference grammar: parsing never panics, and what parses renders back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regmig::reference::ImageRef;

fuzz_target!(|text: &str| {
    if let Ok(image) = ImageRef::parse(text) {
        assert_eq!(image.render(), text);
        assert_eq!(ImageRef::parse(&image.render()), Ok(image.clone()));
        assert!(ImageRef::parse(&image.canonical()).is_ok());
    }
});
