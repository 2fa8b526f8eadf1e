-- Pools and senders keep the JSON a read sends (rendered when the row is written), so reads send
-- bytes without decoding and encoding them: ``doc`` as stock clients see it, ``xdoc`` with the
-- extension fields (Senderpools-Extensions: true). Rows written before this migration are rendered by
-- it (the store's migrate step, in the same transaction).
ALTER TABLE pools ADD COLUMN doc BLOB;
ALTER TABLE pools ADD COLUMN xdoc BLOB;
ALTER TABLE senders ADD COLUMN doc BLOB;
ALTER TABLE senders ADD COLUMN xdoc BLOB;
