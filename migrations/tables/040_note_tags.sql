CREATE TABLE note_tags (
  note_id bigint NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
  tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (note_id, tag_id)
);
CREATE INDEX note_tags_tag_id_idx ON note_tags (tag_id);
