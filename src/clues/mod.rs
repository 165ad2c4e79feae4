//! Contact clues in one row: phone numbers, landlines, WeChat and QQ accounts, links and
//! e-mail addresses, found through the normaliser (so disguised numbers are seen through),
//! canonicalised so that the same account written two ways is one value, and reported on
//! the ORIGINAL text's spans.
//!
//! Masked numbers (`138****0000`) and official hotlines (regulators' 123xx, banks' 95xxx,
//! 400/800 numbers) are reported with their own kinds, [`ContactKind::Masked`] and
//! [`ContactKind::Hotline`], and are never clues: they do not tie rows together.
//! Cross-row work on the clues (linked groups) lives in `mining`.

mod extract;

pub use extract::extract;

/// What a contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A mainland mobile number, canonical 11 ASCII digits.
    Phone,
    /// A landline with its area code, canonical `0xx-xxxxxxxx`.
    Landline,
    /// A WeChat id (or a phone number given as one), canonical lower case.
    Wechat,
    /// A QQ number.
    Qq,
    /// A link: lower-case host plus path.
    Url,
    /// An e-mail address, lower case.
    Email,
    /// A partly hidden number (`138****0000`): shown, never a clue.
    Masked,
    /// An official service number (12378, 95588, 400-...): shown, never a clue.
    Hotline,
}

impl ContactKind {
    /// Every kind, in output order.
    pub const ALL: [ContactKind; 8] = [
        ContactKind::Phone,
        ContactKind::Landline,
        ContactKind::Wechat,
        ContactKind::Qq,
        ContactKind::Url,
        ContactKind::Email,
        ContactKind::Masked,
        ContactKind::Hotline,
    ];

    /// The kind's name in output.
    pub fn name(self) -> &'static str {
        match self {
            ContactKind::Phone => "phone",
            ContactKind::Landline => "landline",
            ContactKind::Wechat => "wechat",
            ContactKind::Qq => "qq",
            ContactKind::Url => "url",
            ContactKind::Email => "email",
            ContactKind::Masked => "masked",
            ContactKind::Hotline => "hotline",
        }
    }

    /// Whether two rows sharing a contact of this kind are linked: everything but masked
    /// numbers (many people share one mask) and hotlines (a lender's own hotline in an
    /// anti-fraud notice must not tie the notice to agencies).
    pub fn is_clue(self) -> bool {
        !matches!(self, ContactKind::Masked | ContactKind::Hotline)
    }
}

impl std::fmt::Display for ContactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One contact found in one text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Contact {
    /// What it is.
    pub kind: ContactKind,
    /// Its canonical value.
    pub value: String,
    /// Byte offset in the original text where it starts.
    pub start: usize,
    /// Byte offset in the original text one past its end.
    pub end: usize,
    /// Character offset in the original text where it starts (see
    /// [`crate::normalize::CharOffsets`]).
    pub start_char: usize,
    /// Character offset in the original text one past its end.
    pub end_char: usize,
}

/// Contacts in one compact cell: `kind:value; ...`.
pub fn compact(contacts: &[Contact]) -> String {
    contacts
        .iter()
        .map(|c| format!("{}:{}", c.kind, c.value))
        .collect::<Vec<_>>()
        .join("; ")
}
