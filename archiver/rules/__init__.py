"""Pure decisions over values: which archived tweet a citation names and how well
it agrees (matching), what a link or tweet check's outcome means for its state
(verdicts). No network, no database, no clock unless given."""
