# eddy's Python runtime: the program an eddy execution environment runs for python* functions. It speaks the
# Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) and behaves as AWS's managed Python runtime does where a handler
# can tell: handler lookup (`pkg/mod.fn`, `pkg.mod.fn`), the context object, JSON in and out (Decimal as number),
# the error JSON posted for a failure (`errorMessage`, `errorType`, `requestId`, `stackTrace`), the logging
# module's `[LEVEL]\t<time>\t<request id>\t<msg>` format (root level WARNING unless AWS_LAMBDA_LOG_LEVEL says
# otherwise), and `[ERROR] Type: message` lines with the traceback for failures. Written for eddy; shipped
# inside the eddy binary.

import decimal
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

HOST, PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
BASE = "/2018-06-01/runtime"
# RS marks a log record (one event, newlines restored) apart from what the handler prints itself.
RECORD_MARK = "\x1e"
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON"

_connection = None
_request_id = ""


def _call(method, path, body=None, headers=None):
    global _connection
    for attempt in (0, 1):
        if _connection is None:
            _connection = http.client.HTTPConnection(HOST, int(PORT))
        try:
            _connection.request(method, BASE + path, body=body, headers=headers or {})
            response = _connection.getresponse()
            return response.status, response.headers, response.read()
        except (http.client.HTTPException, ConnectionError):
            _connection.close()
            _connection = None
            if attempt:
                raise


def _post(path, payload, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    _call("POST", path, payload, headers)


# ---- logging --------------------------------------------------------------------------------------------------


class _LambdaFormatter(logging.Formatter):
    def __init__(self):
        super().__init__(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
        self.converter = time.gmtime

    def format(self, record):
        record.aws_request_id = _request_id
        if JSON_LOGS:
            entry = {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + ".%03dZ" % record.msecs,
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "requestId": _request_id,
            }
            return RECORD_MARK + json.dumps(entry)
        return RECORD_MARK + super().format(record).replace("\n", "\r")


class _Handler(logging.StreamHandler):
    def __init__(self):
        super().__init__(sys.stdout)
        self.setFormatter(_LambdaFormatter())


def _setup_logging():
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(_Handler())
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    root.setLevel(getattr(logging, level.upper(), logging.WARNING) if level else logging.WARNING)


# ---- errors ---------------------------------------------------------------------------------------------------


class FaultException(Exception):
    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


def _make_error(message, error_type, stack_trace, request_id):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _error_from_exception(exc, request_id):
    if isinstance(exc, FaultException):
        return _make_error(exc.msg, exc.exception_type, exc.trace, request_id)
    tb = traceback.extract_tb(exc.__traceback__)
    # Drop this runtime's own frames, as AWS's runtime does.
    tb = [frame for frame in tb if frame.filename != __file__]
    return _make_error(str(exc), type(exc).__name__, traceback.format_list(tb), request_id)


def _log_error(error):
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    trace = error.get("stackTrace")
    if trace:
        lines.append("Traceback (most recent call last):")
        for element in trace:
            # Leading spaces become no-break spaces, as AWS's runtime writes them (AWS-recorded).
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write(RECORD_MARK + "\r".join(lines) + "\n")
    sys.stdout.flush()


# ---- handler loading ------------------------------------------------------------------------------------------


def _load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(
            FaultException.MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, str(e))
        )
    modname = modname.replace("/", ".")
    if modname.split(".")[0] in sys.builtin_module_names:
        raise FaultException(
            FaultException.BUILT_IN_MODULE_CONFLICT,
            "Cannot use built-in module {} as a handler module".format(modname),
        )
    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR,
            "Unable to import module '{}': {}".format(modname, str(e)),
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s\n' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '{}': {}".format(modname, str(e)),
            trace,
        )
    fn = getattr(module, fname, None)
    if fn is None:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND,
            "Handler '{}' missing on module '{}'".format(fname, modname),
        )
    return fn


# ---- the context object ---------------------------------------------------------------------------------------


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]


def _client_context(text):
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    cc = ClientContext()
    cc.custom = data.get("custom")
    cc.env = data.get("env")
    client = data.get("client")
    if client is not None:
        c = Client()
        c.installation_id = client.get("installation_id")
        c.app_title = client.get("app_title")
        c.app_version_name = client.get("app_version_name")
        c.app_version_code = client.get("app_version_code")
        c.app_package_name = client.get("app_package_name")
        cc.client = c
    else:
        cc.client = None
    return cc


class LambdaContext(object):
    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity, tenant_id):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.client_context = _client_context(client_context)
        self.identity = CognitoIdentity()
        self.identity.cognito_identity_id = None
        self.identity.cognito_identity_pool_id = None
        if identity:
            try:
                data = json.loads(identity)
                self.identity.cognito_identity_id = data.get("cognitoIdentityId")
                self.identity.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")
            except ValueError:
                pass
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(round(time.time() * 1000)), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))
        sys.stdout.flush()

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},function_name={},"
            "memory_limit_in_mb={},function_version={},invoked_function_arn={},client_context={},identity={}])"
        ).format(
            self.aws_request_id,
            self.log_group_name,
            self.log_stream_name,
            self.function_name,
            self.memory_limit_in_mb,
            self.function_version,
            self.invoked_function_arn,
            self.client_context,
            self.identity,
        )


# ---- invocations ----------------------------------------------------------------------------------------------


def _decimal(o):
    if isinstance(o, decimal.Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def _invoke(handler, status, headers, body):
    global _request_id
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
    _request_id = request_id
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    context = LambdaContext(
        request_id,
        int(headers.get("Lambda-Runtime-Deadline-Ms", "0")),
        headers.get("Lambda-Runtime-Invoked-Function-Arn"),
        headers.get("Lambda-Runtime-Client-Context"),
        headers.get("Lambda-Runtime-Cognito-Identity"),
        headers.get("Lambda-Runtime-Aws-Tenant-Id"),
    )
    try:
        try:
            event = json.loads(body)
        except ValueError as e:
            raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(str(e)))
        result = handler(event, context)
        try:
            payload = json.dumps(result, default=_decimal)
        except (TypeError, ValueError) as e:
            raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: {}".format(str(e)))
        sys.stdout.flush()
        _post("/invocation/%s/response" % request_id, payload)
    except Exception as e:
        error = _error_from_exception(e, request_id)
        _log_error(error)
        _post("/invocation/%s/error" % request_id, json.dumps(error), error["errorType"])


def main():
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    # The runtime's own directory must not shadow the user's modules.
    runtime_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != runtime_dir]
    _setup_logging()
    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:
        error = _error_from_exception(e, "")
        _log_error(error)
        _post("/init/error", json.dumps(error), error["errorType"])
        sys.exit(1)
    while True:
        status, headers, body = _call("GET", "/invocation/next")
        if status != 200:
            sys.stderr.write("eddy runtime: next returned %s\n" % status)
            sys.exit(1)
        _invoke(handler, status, headers, body)


if __name__ == "__main__":
    main()
