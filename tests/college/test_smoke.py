from tests import factories


def test_front_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Learning for recovery" in response.data


def test_login_and_logout(client, auth):
    user = factories.make_student()
    response = auth.login(user)
    assert response.status_code == 302
    assert b"My settings" in client.get("/").data
    auth.logout()
    assert b"My settings" not in client.get("/").data
