DROP VIEW item_watchers;
DROP TABLE item_watches;
