// Settings: a chosen preset fills the profile fields; a field changed by hand marks the profile
// custom. Without it the server applies the chosen preset on save.
(function () {
	var f = document.querySelector('[data-testid=settings-form]');
	if (!f) { return; }
	var p = f.elements.preset;
	p.addEventListener('change', function () {
		var o = p.options[p.selectedIndex];
		if (!o.dataset.max) { return; }
		f.elements.max_articles.value = o.dataset.max;
		f.elements.audience.value = o.dataset.audience;
		f.elements.upload_path.value = o.dataset.upload;
	});
	['max_articles', 'audience', 'upload_path'].forEach(function (n) {
		f.elements[n].addEventListener('change', function () { p.value = 'custom'; });
	});
})();
