DROP INDEX signatures_in_clear;
