package i18n

// `qunfa backup FILE`: what it did, or why it did nothing.
func init() {
	add("zh", map[string]string{
		"backup.no_file":     "请给出备份文件名：qunfa backup [-db 数据库] [-force] 备份文件",
		"backup.exists":      "备份文件 %s 已存在，未覆盖；加 -force 覆盖它",
		"backup.no_database": "找不到数据库 %s（用 -db 或 QUNFA_DB 指定）",
		"backup.is_database": "备份文件不能是数据库本身（%s）",
		"backup.failed":      "备份 %s 失败",
		"backup.progress":    "已复制 %d/%d 页",
		"backup.done":        "已将数据库 %s 备份到 %s：%d 页，%s，用时 %s，完整性检查通过（文件权限 0600）",
	})
	add("en", map[string]string{
		"backup.no_file":     "give the backup file's name: qunfa backup [-db DATABASE] [-force] FILE",
		"backup.exists":      "the backup file %s exists and was left as it is; add -force to overwrite it",
		"backup.no_database": "no database at %s (give it with -db or QUNFA_DB)",
		"backup.is_database": "the backup file cannot be the database itself (%s)",
		"backup.failed":      "backing up %s failed",
		"backup.progress":    "copied %d/%d pages",
		"backup.done":        "backed up the database %s to %s: %d pages, %s, in %s; integrity check ok (file mode 0600)",
	})
}
