-- Schema version 2: the cost of each record in USD, NULL when unknown.
ALTER TABLE records ADD COLUMN cost REAL;
