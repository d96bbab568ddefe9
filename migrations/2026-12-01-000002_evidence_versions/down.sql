ALTER TABLE evidence
    DROP CONSTRAINT evidence_submitter_is_an_editor,
    DROP CONSTRAINT evidence_reviewer_is_not_an_editor,
    DROP COLUMN editors;
