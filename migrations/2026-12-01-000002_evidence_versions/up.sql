-- Four eyes bound to content: everyone who submitted or edited any version of a piece of
-- evidence is an editor, and no editor may be its reviewer. The domain refuses it first; the
-- CHECK holds even against a write that bypasses the domain.
ALTER TABLE evidence
    ADD COLUMN editors uuid[] NOT NULL DEFAULT '{}'
        CHECK (array_position(editors, NULL) IS NULL);
UPDATE evidence SET editors = ARRAY[submitted_by] WHERE submitted_by IS NOT NULL;
-- A pending version has no reviewer, so editing after a review must clear it.
UPDATE evidence SET reviewed_by = NULL WHERE reviewed_by = ANY (editors);
ALTER TABLE evidence
    ADD CONSTRAINT evidence_reviewer_is_not_an_editor
        CHECK (reviewed_by IS NULL OR NOT (reviewed_by = ANY (editors))),
    ADD CONSTRAINT evidence_submitter_is_an_editor
        CHECK (submitted_by IS NULL OR submitted_by = ANY (editors));
