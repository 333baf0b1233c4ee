-- Version 48 changes the file's triggers only (the file's migration 48 says why): on
-- PostgreSQL a trigger's `ON CONFLICT DO NOTHING` is its own whatever statement fires it,
-- and every marking trigger here already says it. Nothing to change but the version.
SELECT 1;
