-- Pools and senders keep the JSON a read sends (rendered when the row is written), so reads send
-- bytes without decoding and encoding them: ``doc`` as stock clients see it, ``xdoc`` with the
-- extension fields (Senderpools-Extensions: true). Rows written before this migration are rendered by
-- it (the store's migrate step, in the same transaction).
ALTER TABLE pools ADD COLUMN doc bytea, ADD COLUMN xdoc bytea;
ALTER TABLE senders ADD COLUMN doc bytea, ADD COLUMN xdoc bytea;
