package i18n

// Deleting a draft.
func init() {
	add("zh", map[string]string{
		"flash.draft_already_deleted": "这份草稿已经删除了。",
	})
	add("en", map[string]string{
		"flash.draft_already_deleted": "That draft was already deleted.",
	})
}
