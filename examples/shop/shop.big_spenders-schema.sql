CREATE TABLE `big_spenders` (
  `name` tinyint NOT NULL,
  `total` tinyint NOT NULL
) ENGINE=MyISAM;
