-- The owner's own wording of a letter's subject, opening paragraph and request paragraph,
-- per kind and language. No row: the built-in text.
CREATE TABLE letter_templates (
    kind     TEXT NOT NULL CHECK (kind IN ('courtesy', 'reminder', 'final_notice', 'formal_demand', 'statement')),
    language TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    part     TEXT NOT NULL CHECK (part IN ('subject', 'opening', 'request')),
    body     TEXT NOT NULL CHECK (body <> ''),
    PRIMARY KEY (kind, language, part)
) STRICT, WITHOUT ROWID;
