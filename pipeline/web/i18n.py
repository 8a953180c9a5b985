"""The web app's words in Vietnamese (the default) and English.

Templates call ``t("key")``; a key missing from a language falls back to
Vietnamese, then to the key itself (a test checks every used key exists in both).
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")

# key: (vi, en)
MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("Giám sát báo chí", "Press monitor"),
    "nav_dashboard": ("Tổng quan", "Dashboard"),
    "nav_queue": ("Hàng đợi", "Queue"),
    "nav_articles": ("Bài báo", "Articles"),
    "nav_reports": ("Báo cáo", "Reports"),
    "nav_users": ("Người dùng", "Users"),
    "nav_sources": ("Nguồn tin", "Sources"),
    "nav_account": ("Tài khoản", "Account"),
    "logout": ("Đăng xuất", "Log out"),
    "login": ("Đăng nhập", "Log in"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "login_failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "forbidden": ("Bạn không có quyền thực hiện thao tác này.", "You may not do this."),
    "csrf_failed": (
        "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "not_found": ("Không tìm thấy.", "Not found."),
    "saved": ("Đã lưu.", "Saved."),
    "error": ("Lỗi", "Error"),
    "role_viewer": ("Người xem", "Viewer"),
    "role_analyst": ("Chuyên viên", "Analyst"),
    "role_admin": ("Quản trị", "Administrator"),
    # dashboard
    "period_today": ("Hôm nay", "Today"),
    "period_7": ("7 ngày", "7 days"),
    "period_30": ("30 ngày", "30 days"),
    "articles_total": ("Bài liên quan", "Relevant articles"),
    "flagged_total": ("Bài bị gắn cờ", "Flagged articles"),
    "open_cases": ("Vụ việc đang mở", "Open cases"),
    "failed_sources": ("Nguồn lỗi lần thu thập gần nhất", "Sources that failed their last crawl"),
    "no_failed_sources": ("Mọi nguồn đều thu thập thành công.", "Every source crawled fine."),
    "articles_by_origin": ("Bài theo nguồn gốc", "Articles by origin"),
    "articles_by_topic": ("Bài theo chủ đề", "Articles by topic"),
    "stance_over_time": ("Quan điểm theo thời gian", "Stance over time"),
    "stance_by_origin": ("Quan điểm theo nguồn gốc", "Stance by origin"),
    "cases_by_status": ("Vụ việc đang mở theo trạng thái", "Open cases by status"),
    "cases_by_priority": ("Vụ việc đang mở theo mức ưu tiên", "Open cases by priority"),
    "priority_high": ("Cao (≥ 70)", "High (≥ 70)"),
    "priority_medium": ("Trung bình (40–70)", "Medium (40–70)"),
    "priority_low": ("Thấp (< 40)", "Low (< 40)"),
    "origin_domestic": ("Trong nước", "Domestic"),
    "origin_foreign": ("Nước ngoài", "Foreign"),
    "origin_unknown": ("Không rõ", "Unknown"),
    "stance_supportive": ("Ủng hộ", "Supportive"),
    "stance_neutral": ("Trung lập", "Neutral"),
    "stance_critical": ("Phê phán", "Critical"),
    "stance_none": ("Chưa phân tích", "Not analysed"),
    "tone_positive": ("Tích cực", "Positive"),
    "tone_neutral": ("Trung tính", "Neutral"),
    "tone_negative": ("Tiêu cực", "Negative"),
    "no_data": ("Chưa có dữ liệu.", "No data yet."),
    "last_error": ("Lỗi gần nhất", "Last error"),
    "last_crawl": ("Lần thu thập gần nhất", "Last crawl"),
    # queue and cases
    "status": ("Trạng thái", "Status"),
    "status_new": ("Mới", "New"),
    "status_triaged": ("Đã phân loại", "Triaged"),
    "status_in_progress": ("Đang xử lý", "In progress"),
    "status_closed": ("Đã đóng", "Closed"),
    "status_open": ("Đang mở (chưa đóng)", "Open (not closed)"),
    "status_all": ("Tất cả", "All"),
    "topic": ("Chủ đề", "Topic"),
    "origin": ("Nguồn gốc", "Origin"),
    "assignee": ("Người phụ trách", "Assignee"),
    "unassigned": ("Chưa giao", "Unassigned"),
    "any": ("Tất cả", "Any"),
    "priority": ("Ưu tiên", "Priority"),
    "score": ("Điểm sai lệch", "Distortion score"),
    "case": ("Vụ việc", "Case"),
    "title": ("Tiêu đề", "Title"),
    "opened": ("Mở lúc", "Opened"),
    "updated": ("Cập nhật", "Updated"),
    "filter": ("Lọc", "Filter"),
    "assign_to_me": ("Nhận xử lý", "Assign to me"),
    "no_cases": ("Không có vụ việc nào.", "No cases."),
    "story_articles": (
        "Các bài của câu chuyện (mọi cơ quan báo chí đã đăng)",
        "Articles of the story (every outlet that carried it)",
    ),
    "reasons": ("Lý do gắn cờ", "Why it was flagged"),
    "evidence": ("Bản lưu bằng chứng", "Evidence snapshot"),
    "evidence_note": (
        "Trang gốc như đã lưu, hiển thị ở chế độ an toàn (không chạy mã, không tải tài nguyên).",
        "The page as stored, shown inert (no scripts, nothing loaded).",
    ),
    "open_evidence": ("Mở bản lưu", "Open the snapshot"),
    "audit_trail": ("Nhật ký thay đổi", "Audit trail"),
    "when": ("Thời điểm", "When"),
    "who": ("Người thực hiện", "Who"),
    "action": ("Thao tác", "Action"),
    "change": ("Thay đổi", "Change"),
    "triage": ("Phân loại", "Triage"),
    "set_status": ("Đặt trạng thái", "Set status"),
    "assign": ("Giao việc", "Assign"),
    "assign_button": ("Giao", "Assign"),
    "note": ("Ghi chú", "Note"),
    "add_note": ("Thêm ghi chú", "Add note"),
    "response": ("Phản hồi (nội dung hoặc đường dẫn)", "Response (text or link)"),
    "save_response": ("Lưu phản hồi", "Save response"),
    "close_case": ("Đóng vụ việc", "Close the case"),
    "resolution": ("Kết quả xử lý", "Resolution"),
    "resolution_responded": ("Đã phản hồi", "Responded"),
    "resolution_no_action": ("Không cần xử lý", "No action"),
    "resolution_false_positive": ("Cảnh báo nhầm", "False positive"),
    "case_closed_as": ("Đã đóng với kết quả", "Closed as"),
    "read_only_notice": (
        "Bạn đang xem với quyền chỉ đọc.",
        "You are viewing with read-only access.",
    ),
    "workflow_unavailable": (
        "Chức năng xử lý vụ việc chưa sẵn sàng trong phiên bản này.",
        "Case workflow is not available in this version.",
    ),
    "event_opened": ("Mở vụ việc", "Opened"),
    "event_attached": ("Thêm bài", "Article attached"),
    "event_assigned": ("Giao việc", "Assigned"),
    "event_status": ("Đổi trạng thái", "Status changed"),
    "event_note": ("Ghi chú", "Note"),
    "event_response": ("Phản hồi", "Response"),
    "event_closed": ("Đóng", "Closed"),
    "event_reopened": ("Mở lại", "Reopened"),
    "too_many_attempts": (
        "Quá nhiều lần đăng nhập sai. Hãy thử lại sau ít phút.",
        "Too many failed logins. Try again in a few minutes.",
    ),
    # articles
    "search": ("Tìm kiếm", "Search"),
    "search_text": ("Từ khóa", "Text"),
    "source": ("Nguồn", "Source"),
    "stance": ("Quan điểm", "Stance"),
    "tone": ("Sắc thái", "Tone"),
    "date_from": ("Từ ngày", "From"),
    "date_to": ("Đến ngày", "To"),
    "relevant_only": ("Chỉ bài liên quan", "Relevant only"),
    "published": ("Ngày đăng", "Published"),
    "language": ("Ngôn ngữ", "Language"),
    "no_articles": ("Không có bài nào.", "No articles."),
    "more_results": (
        "Còn nhiều kết quả hơn; hãy thu hẹp bộ lọc.",
        "There are more results; narrow the filter.",
    ),
    "analysis": ("Phân tích", "Analysis"),
    "not_analysed": ("Bài này chưa được phân tích.", "This article has not been analysed."),
    "narratives": ("Luận điệu khớp", "Matched narratives"),
    "topics": ("Chủ đề", "Topics"),
    "places": ("Địa danh", "Places"),
    "original_link": ("Bài gốc", "Original"),
    "analyzer": ("Bộ phân tích", "Analyzer"),
    "relevant": ("Liên quan", "Relevant"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "flagged": ("Bị gắn cờ", "Flagged"),
    "authors": ("Tác giả", "Authors"),
    # reasons
    "reason_narrative": ("Lặp lại luận điệu", "Repeats a narrative"),
    "reason_sensitive_topic": ("Chủ đề nhạy cảm", "Sensitive topic"),
    "reason_stance": ("Quan điểm", "Stance"),
    "reason_origin": ("Nguồn gốc", "Origin"),
    "reason_tone": ("Sắc thái", "Tone"),
    "weight": ("Trọng số", "Weight"),
    # reports
    "digests": ("Bản tin hằng ngày", "Daily digests"),
    "exports": ("Tệp CSV hằng tuần", "Weekly CSV exports"),
    "day": ("Ngày", "Day"),
    "week": ("Tuần", "Week"),
    "rows": ("Số dòng", "Rows"),
    "view": ("Xem", "View"),
    "download": ("Tải về", "Download"),
    "text_version": ("Bản văn bản", "Text version"),
    "no_reports": ("Chưa có báo cáo nào.", "No reports yet."),
    "file_missing": ("Tệp không còn trên đĩa.", "The file is no longer on disk."),
    # admin
    "users": ("Người dùng", "Users"),
    "role": ("Vai trò", "Role"),
    "disabled": ("Đã khóa", "Disabled"),
    "active": ("Đang hoạt động", "Active"),
    "add_user": ("Thêm người dùng", "Add user"),
    "disable": ("Khóa", "Disable"),
    "enable": ("Mở khóa", "Enable"),
    "set_role": ("Đổi vai trò", "Change role"),
    "reset_password": ("Đặt lại mật khẩu", "Reset password"),
    "new_password": ("Mật khẩu mới", "New password"),
    "current_password": ("Mật khẩu hiện tại", "Current password"),
    "change_password": ("Đổi mật khẩu", "Change password"),
    "password_too_short": (
        "Mật khẩu cần ít nhất 8 ký tự.",
        "A password needs at least 8 characters.",
    ),
    "user_exists": ("Tên đăng nhập đã tồn tại.", "That username is taken."),
    "cannot_disable_self": (
        "Không thể tự khóa tài khoản của mình.",
        "You cannot disable your own account.",
    ),
    "sources": ("Nguồn tin", "Sources"),
    "sources_note": (
        "Danh sách nguồn được quản lý trong config.yaml; trang này cho biết tình trạng thu thập.",
        "Sources are managed in config.yaml; this page shows how their crawls went.",
    ),
    "kind": ("Loại", "Kind"),
    "reach": ("Độ phủ", "Reach"),
    "enabled": ("Đang bật", "Enabled"),
    "ok": ("Tốt", "OK"),
    "failed": ("Lỗi", "Failed"),
    "never": ("Chưa bao giờ", "Never"),
    # account
    "ui_language": ("Ngôn ngữ giao diện", "Interface language"),
    "save": ("Lưu", "Save"),
    "lang_vi": ("Tiếng Việt", "Vietnamese"),
    "lang_en": ("Tiếng Anh", "English"),
    "signed_in_as": ("Đăng nhập với", "Signed in as"),
    "wrong_password": ("Mật khẩu hiện tại không đúng.", "The current password is wrong."),
}


def translate(language: str, key: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if language == "en" else pair[0]


def translator(language: str) -> Callable[[str], str]:
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def t(key: str) -> str:
        return translate(lang, key)

    return t
