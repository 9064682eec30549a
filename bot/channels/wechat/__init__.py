"""WeChat Official Account and WeCom channel (safe mode, built on wechatpy)."""

from bot.channels.wechat.channel import WeChatInput

__all__ = ["WeChatInput"]
