DROP TABLE IF EXISTS `big_spenders`;
DROP VIEW IF EXISTS `big_spenders`;
CREATE ALGORITHM=UNDEFINED SQL SECURITY INVOKER VIEW `big_spenders` AS SELECT `c`.`name` AS `name`, SUM(`o`.`amount`) AS `total` FROM `customers` `c` JOIN `orders` `o` ON `o`.`customer_id` = `c`.`id` GROUP BY `c`.`name` HAVING SUM(`o`.`amount`) > 1000;
