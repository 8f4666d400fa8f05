package i18n

// PostgreSQL (QUNFA_DB=postgres://…): what does not apply to it, and what it needs.
func init() {
	add("zh", map[string]string{
		"startup.postgres_key": "QUNFA_DB 是 PostgreSQL 数据库：请用 QUNFA_SECRET_KEY 给出加密密钥（每个实例使用同一个密钥；生成方法见 README）。",
		"backup.postgres":      "qunfa backup 只备份 SQLite 数据库文件；PostgreSQL 数据库请用 pg_dump 备份。",
	})
	add("en", map[string]string{
		"startup.postgres_key": "QUNFA_DB is a PostgreSQL database: give the encryption key with QUNFA_SECRET_KEY (the same key on every instance; the README says how to make one).",
		"backup.postgres":      "qunfa backup copies a SQLite database file; back a PostgreSQL database up with pg_dump.",
	})
}
