"""Public pages, accounts and personal settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from college import auth, services
from college import privacy as personal_data
from college.db import checkpoint_sqlite_wal
from college.errors import DomainError
from college.extensions import csrf, db
from college.forms import (
    CalendarChoiceForm,
    ChangePasswordForm,
    ConfirmForm,
    ConsentForm,
    DeleteAccountForm,
    LanguageForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    SettingsForm,
)
from college.landing import landing_url
from college.security import comes_from_this_site
from college.signals import extension_points
from college.urls import absolute_url, subscription_links

bp = Blueprint("main", __name__)
auth_bp = Blueprint("auth", __name__, url_prefix="/auth")
me_bp = Blueprint("me", __name__, url_prefix="/me")


def safe_next(target: str | None, default: str = "main.index") -> str:
    """Return ``target`` only when it is a path on this site; never an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target if not target.startswith("//") else url_for(default)
    return url_for(default)


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (a fragment may follow), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def after_sign_in(user: Any, target: str | None) -> str:
    """Back to where the person came from, or where their work is."""
    return local_path(target) or landing_url(user)


def client_address() -> str | None:
    return request.remote_addr


# --- public pages --------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    """Show the front page."""
    return render_template("main/index.html")


@bp.get("/privacy")
def privacy() -> str:
    """Show the privacy notice."""
    return render_template(
        "main/privacy.html", version=current_app.config["PRIVACY_NOTICE_VERSION"]
    )


@bp.get("/accessibility")
def accessibility() -> str:
    """Show the accessibility statement."""
    return render_template("main/accessibility.html")


@bp.post("/language")
@csrf.exempt
def set_language() -> Any:
    """Switch the language of the site (and of the account, when signed in)."""
    # A signed-in person's switch changes their account, so it carries a CSRF token. A
    # visitor's page carries none (browsing sets no cookie); the browser's word that the
    # post came from this site is enough for a choice that only lasts their visit.
    if current_user.is_authenticated:
        form = LanguageForm()
    elif comes_from_this_site():
        form = LanguageForm(meta={"csrf": False})
    else:
        abort(400)
    language = request.form.get("language", "")
    if not form.validate() or language not in current_app.config["LANGUAGES"]:
        flash(_("That language is not available."), "error")
        return redirect(safe_next(request.form.get("next")))
    session["language"] = language
    if current_user.is_authenticated:
        services.set_language(current_user, language)
    return redirect(safe_next(form.next.data))


# --- accounts ------------------------------------------------------------------------------


@auth_bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    """Create a student account; the response is the same whether the address is new or not."""
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = RegisterForm(
        language=str(session.get("language") or "da"), next=request.args.get("next", "")
    )
    if form.validate_on_submit():
        try:
            services.register_user(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                language=form.language.data,
                consent=form.consent.data,
                discreet=form.discreet.data,
                address=client_address(),
            )
        except DomainError as error:
            form.form_errors.append(str(error))
            return render_template("auth/register.html", form=form), error.status_code
        # Logging in from here goes back to where signing up began (a course's enrol step).
        return render_template("auth/register_sent.html", next=local_path(form.next.data))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 400


@auth_bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with email and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_address())
        except DomainError as error:
            form.form_errors.append(str(error))
            return render_template("auth/login.html", form=form), error.status_code
        auth.sign_in(user)
        flash(_("You are logged in."), "success")
        return redirect(after_sign_in(user, form.next.data))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@auth_bp.post("/logout")
def logout() -> Any:
    """Log out and end the session on the server."""
    if LanguageForm().validate():
        auth.sign_out()
        flash(_("You are logged out. Take care."), "success")
    return redirect(url_for("main.index"))


@auth_bp.route("/reset", methods=["GET", "POST"])
def reset_request() -> Any:
    """Ask for a password-reset link by email."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            services.create_password_reset(form.email.data, client_address())
        except DomainError as error:
            form.form_errors.append(str(error))
            return render_template("auth/reset_request.html", form=form), error.status_code
        return render_template("auth/reset_sent.html")
    return render_template("auth/reset_request.html", form=form), 200 if not form.errors else 400


@auth_bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Choose a new password from a reset link."""
    try:
        services.find_valid_reset(token)
    except DomainError as error:
        return render_template("auth/reset_invalid.html", message=str(error)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except DomainError as error:
            form.password.errors = [str(error)]
        else:
            auth.sign_in(user)
            flash(_("Your password has been changed and you are logged in."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/reset_password.html", form=form), 200 if not form.errors else 400


@auth_bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change your password; other signed-in browsers are signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current.data,
                form.password.data,
                auth.current_token(),
                client_address(),
            )
        except DomainError as error:
            form.form_errors.append(str(error))
            status = 429 if error.status_code == 429 else 400
            return render_template("auth/change_password.html", form=form), status
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("me.settings"))
    return render_template("auth/change_password.html", form=form), 200 if not form.errors else 400


# --- consent to a changed privacy notice ----------------------------------------------------

# Pages a person may still open before agreeing to a new privacy notice: reading it, leaving,
# switching language, and taking their data with them.
BEFORE_CONSENT = {
    "static",
    "main.privacy",
    "main.set_language",
    "auth.logout",
    "me.consent",
    "me.my_data",
    "me.my_data_json",
    "me.delete_account",
}


@bp.before_app_request
def ask_for_new_consent() -> Any:
    """Send a signed-in person to the new privacy notice until they accept it."""
    # Calendar clients and partner sites never sign in; visitors have no token to load.
    if request.blueprint in ("courses_api", "feeds") or not auth.may_be_signed_in():
        return None
    if request.endpoint in BEFORE_CONSENT:
        return None
    if not current_user.is_authenticated:
        return None
    if services.needs_new_consent(current_user, current_app.config["PRIVACY_NOTICE_VERSION"]):
        return redirect(url_for("me.consent", next=request.full_path.rstrip("?")))
    return None


@me_bp.route("/consent", methods=["GET", "POST"])
@login_required
def consent() -> Any:
    """Read the changed privacy notice and accept it."""
    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    if not services.needs_new_consent(current_user, version):
        return redirect(safe_next(request.args.get("next")))
    form = ConsentForm()
    if form.validate_on_submit():
        services.record_consent(current_user, version)
        flash(_("Thank you. You can carry on where you were."), "success")
        return redirect(safe_next(request.args.get("next")))
    return render_template("me/consent.html", form=form, version=version), (
        200 if not form.errors else 400
    )


# --- personal settings ---------------------------------------------------------------------


@me_bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    """Change your language and discreet mode."""
    form = SettingsForm(obj=current_user)
    if form.validate_on_submit():
        services.update_settings(
            current_user, language=form.language.data, discreet=form.discreet.data
        )
        session["language"] = form.language.data
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("me.settings"))
    return render_template("me/settings.html", form=form), 200 if not form.errors else 400


@me_bp.get("/data")
@login_required
def my_data() -> str:
    """Show everything the college stores about me."""
    return render_template("me/data.html", sections=personal_data.describe_person(current_user))


@me_bp.get("/data.json")
@login_required
def my_data_json() -> Any:
    """Download everything the college stores about me as JSON."""
    response = jsonify(personal_data.export_person(current_user))
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@me_bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> Any:
    """Erase my account, after I confirm with my password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.check_current_password(current_user, form.password.data, client_address())
        except DomainError as error:
            form.form_errors.append(str(error))
            return render_template("me/delete.html", form=form), (
                429 if error.status_code == 429 else 400
            )
        try:
            with db.session.begin_nested():
                personal_data.erase_person(current_user, current_user, form.password.data)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            auth.sign_out()
            after_this_request(forget_erased_pages)
            flash(_("Your account has been erased. Take good care of yourself."), "success")
            return redirect(url_for("main.index"))
    return render_template("me/delete.html", form=form), 200 if not form.errors else 400


def forget_erased_pages(response: Response) -> Response:
    """Once the erasure is committed, fold SQLite's log so the old pages leave it too."""
    checkpoint_sqlite_wal(db.engine)
    return response


# --- my calendar -----------------------------------------------------------------------------


def feed_links(token: str | None) -> dict[str, str] | None:
    """The ways to subscribe to a personal feed: https, webcal, Google and Outlook."""
    # A domain package that serves personal feeds names its endpoint (it takes ``token``).
    endpoint = extension_points().personal_feed_endpoint
    if not token or not endpoint:
        return None
    name = _("My sessions — %(college)s", college=current_app.config["COLLEGE_NAME"])
    return subscription_links(absolute_url(endpoint, token=token), name)


@me_bp.get("/calendar")
@login_required
def calendar() -> Any:
    """Show how my sessions reach my calendar, and my personal calendar address."""
    choice = CalendarChoiceForm(choice=current_user.calendar_choice)
    return render_calendar(choice)


def render_calendar(choice: CalendarChoiceForm) -> Any:
    return render_template(
        "me/calendar.html",
        links=feed_links(current_user.calendar_token),
        form=ConfirmForm(),
        choice_form=choice,
    ), 400 if choice.errors else 200


@me_bp.post("/calendar/choice")
@login_required
def choose_calendar() -> Any:
    """Take my sessions by invitation or by my calendar address."""
    form = CalendarChoiceForm()
    if not form.validate_on_submit():
        return render_calendar(form)
    if services.choose_calendar(current_user, form.choice.data):
        flash(
            _("Invitations come by email again, one for each session.")
            if current_user.wants_invitations
            else _(
                "No more invitations: your sessions come through your calendar address. Each "
                "invited session still ahead is taken out of your calendar by an email, so "
                "nothing shows twice."
            ),
            "success",
        )
    return redirect(url_for("me.calendar"))


@me_bp.post("/calendar/renew")
@login_required
def renew_calendar() -> Any:
    """Make a new calendar address; the old one stops working."""
    if ConfirmForm().validate_on_submit():
        had_one = current_user.calendar_token is not None
        services.renew_calendar_token(current_user)
        flash(
            _("You have a new calendar address. The old one no longer works.")
            if had_one
            else _("Your calendar address is ready."),
            "success",
        )
    return redirect(url_for("me.calendar"))


@me_bp.post("/calendar/revoke")
@login_required
def revoke_calendar() -> Any:
    """Switch my calendar address off."""
    if ConfirmForm().validate_on_submit():
        services.revoke_calendar_token(current_user)
        flash(_("Your calendar address is switched off."), "success")
    return redirect(url_for("me.calendar"))
