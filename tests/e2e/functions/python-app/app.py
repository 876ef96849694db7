"""A Python handler exercising payloads, the context object, errors, logging and SDK calls back into eddy."""
import json
import logging
import os
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    print("got event", json.dumps(event))
    action = event.get("action")
    if action == "raise":
        raise ValueError("intentional failure")
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"]}
    if action == "log":
        logger.info("info via logging")
        logger.warning("warning via logging")
        return "logged"
    if action == "unserializable":
        return {"when": object()}
    if action == "sdk":
        import boto3

        ddb = boto3.client("dynamodb")
        ddb.put_item(TableName=event["table"], Item={"pk": {"S": event["key"]}, "from": {"S": "python handler"}})
        item = ddb.get_item(TableName=event["table"], Key={"pk": {"S": event["key"]}})["Item"]
        return {"stored": item["from"]["S"], "region": ddb.meta.region_name}
    if action == "env":
        keys = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV", "AWS_REGION", "GREETING", "LAMBDA_TASK_ROOT"]
        return {k: os.environ.get(k) for k in keys}
    return {
        "echo": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "remaining": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
    }
