"""The web app's pages, one router per area: auth, main, cases, articles, admin."""
