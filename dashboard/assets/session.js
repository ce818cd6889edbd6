// When the session ends (server answers 401 to a callback), go to the login page instead
// of leaving a dashboard that silently stopped updating.
(function () {
  var original = window.fetch;
  window.fetch = function () {
    return original.apply(this, arguments).then(function (response) {
      if (response.status === 401 && response.url.indexOf("/_dash-") !== -1) {
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      }
      return response;
    });
  };
})();
