-- Relance schema v8: the owner's wording of e-mail drafts (subject and body, per kind and
-- language) joins the letters' wording. SQLite cannot change a CHECK: the table is rebuilt.
CREATE TABLE letter_templates_v8 (
    kind     TEXT NOT NULL CHECK (kind IN ('courtesy', 'reminder', 'final_notice', 'formal_demand', 'statement')),
    language TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    part     TEXT NOT NULL CHECK (part IN ('subject', 'opening', 'request', 'email_subject', 'email_body')),
    body     TEXT NOT NULL CHECK (body <> ''),
    PRIMARY KEY (kind, language, part)
) STRICT, WITHOUT ROWID;
INSERT INTO letter_templates_v8 (kind, language, part, body)
    SELECT kind, language, part, body FROM letter_templates;
DROP TABLE letter_templates;
ALTER TABLE letter_templates_v8 RENAME TO letter_templates;

-- Which document an "e-mail prepared" entry attached, found quickly (never logged twice a day).
CREATE INDEX journal_document ON journal(document_id, kind, on_date) WHERE document_id IS NOT NULL;
