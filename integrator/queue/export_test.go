package queue

// ScriptSources is every Lua script the queue sends, as sent.
func ScriptSources() []string {
	return []string{luaEnqueue, luaCommon + luaDequeue, luaCommon + luaSettle, luaCommon + luaRecover, luaCommon + luaReplay}
}
