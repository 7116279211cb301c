"""Drives Microsoft's msgraph-beta-sdk, unchanged, against the signin-prefs emulator.

Usage: python msgraph_sdk_scenario.py GRAPH_URL TOKEN USER_A USER_B USER_C USER_D
Prints one JSON object per step on stdout; the Rust test (emulator_sdk.rs) checks them and the
emulator's state. Only the base URL and the credential differ from production use: the credential
returns a token the emulator minted, instead of asking Entra for one.
"""
import asyncio
import json
import sys
import time

from azure.core.credentials import AccessToken


class StaticTokenCredential:
    def __init__(self, token):
        self._token = AccessToken(token, int(time.time()) + 3600)

    async def get_token(self, *scopes, **kwargs):
        return self._token

    async def close(self):
        pass


def emit(**fields):
    print(json.dumps(fields), flush=True)


async def main():
    graph_url, token, user_a, user_b, user_c, user_d = sys.argv[1:7]
    from kiota_authentication_azure.azure_identity_authentication_provider import \
        AzureIdentityAuthenticationProvider
    from msgraph_beta import GraphServiceClient
    from msgraph_beta.graph_request_adapter import GraphRequestAdapter
    from msgraph_beta.generated.models.sign_in_preferences import SignInPreferences
    from msgraph_beta.generated.models.user_default_authentication_method_type import \
        UserDefaultAuthenticationMethodType as Method
    from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
    from msgraph_core.requests.batch_request_content import BatchRequestContent
    from msgraph_core.requests.batch_request_item import BatchRequestItem

    # The SDK checks the host against its list of Graph hosts before sending a token.
    auth = AzureIdentityAuthenticationProvider(StaticTokenCredential(token),
                                               scopes=["https://graph.microsoft.com/.default"],
                                               allowed_hosts=["127.0.0.1"])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = graph_url
    client = GraphServiceClient(request_adapter=adapter)

    def prefs(user):
        return client.users.by_user_id(user).authentication.sign_in_preferences

    got = await prefs(user_a).get()
    emit(step="get", preferred=str(got.user_preferred_method_for_secondary_authentication.value),
         system=got.is_system_preferred_authentication_method_enabled,
         extra=sorted((got.additional_data or {}).keys()))

    await prefs(user_a).patch(SignInPreferences(user_preferred_method_for_secondary_authentication=Method.Sms))
    got = await prefs(user_a).get()
    emit(step="patch-then-get", preferred=str(got.user_preferred_method_for_secondary_authentication.value))

    try:
        await prefs(user_a).patch(SignInPreferences(user_preferred_method_for_secondary_authentication=Method.VoiceOffice))
        emit(step="unregistered", raised=None)
    except ODataError as error:
        emit(step="unregistered", raised="ODataError", status=error.response_status_code,
             code=error.error.code if error.error else None)

    content = BatchRequestContent()
    for step_id, (user, method) in enumerate([(user_b, Method.Push), (user_c, Method.Oath), (user_d, Method.Sms)], 1):
        info = prefs(user).to_patch_request_information(
            SignInPreferences(user_preferred_method_for_secondary_authentication=method))
        content.add_request(str(step_id), BatchRequestItem(info, id=str(step_id)))
    response = await BatchRequestBuilder(adapter).post(content)
    emit(step="batch", statuses={key: int(value) for key, value in response.get_response_status_codes().items()})


asyncio.run(main())
