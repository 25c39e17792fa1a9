CREATE TABLE `orders` (
  `id` bigint unsigned NOT NULL,
  `customer_id` bigint NOT NULL,
  `amount` decimal(12,2) NOT NULL,
  `status` enum('new','paid','shipped','returned') NOT NULL DEFAULT 'new',
  `note` text,
  `placed_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_customer` (`customer_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
